"""The photo on screen: the canvas and its view transform, display pyramid and overlays, the tools and the tool bar, the
navigator, and the keys held to pan or compare."""
