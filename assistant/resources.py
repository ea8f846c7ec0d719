"""Where the bundled files and the default folders are.

Run from a checkout (`make chat`, the tests), everything stays in the checkout: `seeds/`, `prompts/`,
`index/`, `data/`. Installed with pip, the seeds and prompt templates are read from the package's
own copies (package data, see pyproject.toml) and the index and uploads go to the user's data
folder (`~/.local/share/assistant` on Linux), since site-packages is no place to write.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT = PACKAGE_DIR.parent  # the source tree, when this is one


def in_checkout() -> bool:
    return all((CHECKOUT / name).exists() for name in ("pyproject.toml", "seeds", "prompts"))


def bundled(name: str) -> Path:
    """ "seeds" or "prompts": the checkout's folder, else the copy shipped inside the package."""
    if in_checkout():
        return CHECKOUT / name
    return Path(str(resources.files(__package__) / f"_{name}"))


def user_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("assistant", appauthor=False))


def default_dir(name: str) -> Path:
    """ "index" or "data": beside the source in a checkout, else in the user's data folder."""
    return CHECKOUT / name if in_checkout() else user_data_dir() / name
