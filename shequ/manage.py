"""The `shequ` console command: the project's manage.py."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
    from django.core.management import execute_from_command_line

    # `shequ link-files` reads better than `shequ link_files`; Django command names use underscores.
    if len(sys.argv) > 1 and "-" in sys.argv[1] and not sys.argv[1].startswith("-"):
        sys.argv[1] = sys.argv[1].replace("-", "_")

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
