# The lessons' Jupyter server settings: scripts/lessons, Binder's start and the
# browser test all launch JupyterLab with --config pointing here.
# - Learners work in my-work/ (git-ignored copies, lab/course/workspace.py): JupyterLab opens
#   lesson 0 there, and the link it prints goes there too.
# - A committed lesson under notebooks/ is saved without outputs, so the checkout
#   stays clean (lab/course/notebook_files.py).
# - The file browser hides the build's and the lab's own folders.
c = get_config()  # noqa: F821 - provided by Jupyter when it loads this file
c.ContentsManager.pre_save_hook = "lab.course.notebook_files.pre_save"
c.LabApp.default_url = "/lab/tree/my-work/00_welcome.ipynb"
c.ContentsManager.hide_globs = [
    "__pycache__",
    "*.pyc",
    "*.pyo",
    ".DS_Store",
    "*~",
    "*.egg-info",
    ".lab-runs",
    "tools",
    "test-artifacts",
    "site",
    "build",
]
