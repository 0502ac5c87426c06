"""One view model per page: the figures a page lays out, in words and tables."""
