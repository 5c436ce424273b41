"""Write the local intersphinx inventories that antsibull-docs' generated conf.py falls back to (`../NAME.inv`).

    python tools/docsite_inventories.py DIR    # DIR: the sphinx-init directory (`../` is from its rst/ sources)

CI has no network, so sphinx cannot fetch docs.ansible.com's inventory: without these, the ansible-core labels
that antsibull-docs' own templates link to are undefined and `sphinx-build -W` fails. Each label keeps its real
docs.ansible.com target, so the built site links where the published one does. A label our docs use beyond
these still fails the build (add it here with its page).
"""
from __future__ import annotations

import os
import sys
import zlib

# The inventories conf.py names (sphinx-init 2.28); ours link only into Ansible's.
INVENTORY_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "ansible_devel": {
        "action_plugins": ("plugins/action.html#action-plugins", "Action plugins"),
        "common_return_values": ("reference_appendices/common_return_values.html#common-return-values",
                                 "Return Values"),
        "ansible_configuration_settings": ("reference_appendices/config.html#ansible-configuration-settings",
                                           "Ansible Configuration Settings"),
    },
    "python2": {},
    "python3": {},
    "jinja2": {},
}


def inventory_bytes(project: str, labels: dict[str, tuple[str, str]]) -> bytes:
    """A Sphinx inventory (version 2): a plain header, then zlib-compressed `name domain:role prio uri title` lines."""
    header = ("# Sphinx inventory version 2\n# Project: %s\n# Version: \n"
              "# The remainder of this file is compressed using zlib.\n" % project)
    body = "".join("%s std:label -1 %s %s\n" % (name, uri, title) for name, (uri, title) in sorted(labels.items()))
    return header.encode("utf-8") + zlib.compress(body.encode("utf-8"))


def main(directory: str) -> None:
    for name, labels in INVENTORY_LABELS.items():
        with open(os.path.join(directory, name + ".inv"), "wb") as handle:
            handle.write(inventory_bytes(name, labels))


if __name__ == "__main__":
    main(sys.argv[1])
