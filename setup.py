"""The package build, with one step of our own: the theme's translation catalogs
(templates/locale/*/LC_MESSAGES/messages.po) compiled into the .mo files the package ships,
as `pybabel compile` does. Everything else is in pyproject.toml."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogs(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the .po files themselves
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in sorted(Path("templates/locale").glob("*/LC_MESSAGES/messages.po")):
            target = Path(self.build_lib, "presskit", "templates", po.relative_to("templates"))
            target = target.with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source:
                catalog = read_po(source)
            with target.open("wb") as compiled:
                write_mo(compiled, catalog)


setup(cmdclass={"build_py": BuildWithCatalogs})
