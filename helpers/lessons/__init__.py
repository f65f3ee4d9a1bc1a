"""Utilities that one or two lessons use, beside the core: they show what a model
holds, profile a session, list the opsets the installed packages support, and
register the LightGBM and XGBoost converters, and tune the session settings. The core's
modules never import them (``OnnxPredictor.tuned`` aside); the package root re-exports
:func:`helpers.tune`.

* :func:`helpers.lessons.inspection.describe` and :func:`~helpers.lessons.inspection.plot_graph`;
* :func:`helpers.lessons.profiling.profile_frame` and :func:`~helpers.lessons.profiling.op_type_summary`;
* :func:`helpers.lessons.versions.version_table` and :func:`~helpers.lessons.versions.runtime_max_opset`;
* :func:`helpers.lessons.boosting.register_boosting_converters`.
"""
