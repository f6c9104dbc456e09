"""Sphinx extension: a notebook figure's alt text, from its output's metadata.

``weightinit.plotting.use_style()`` stores a description of every figure a chapter shows in
the output's metadata, ``{"image/png": {"alt": "Figure: ..."}}``. myst-nb 1.4 copies only
``width`` and ``height`` from there to the ``<img>``, so every figure's alt text would be its
file name. This extension also copies ``alt`` (an ``alt`` set in the cell's own metadata,
``mystnb.image.alt``, still wins). Listed in _config.yml under ``sphinx.local_extensions``.
"""

from __future__ import annotations

from myst_nb.core.render import NbElementRenderer

_render_image = NbElementRenderer.render_image


def render_image(self, data):
    nodes = _render_image(self, data)
    alt = (data.output_metadata or {}).get(data.mime_type, {}).get("alt")
    for node in nodes:
        if alt and not node.get("alt"):
            node["alt"] = str(alt)
    return nodes


def setup(app):
    NbElementRenderer.render_image = render_image
    return {"parallel_read_safe": True, "parallel_write_safe": True}
