# The lessons' Jupyter server settings: scripts/lessons, Binder's start and the
# browser test all launch JupyterLab with --config pointing here.
# Every notebook is saved in its committed form (no outputs), so running and
# saving the lessons leaves the git checkout clean. See lab/notebook_files.py.
c = get_config()  # noqa: F821 - provided by Jupyter when it loads this file
c.ContentsManager.pre_save_hook = "lab.notebook_files.pre_save"
