"""Downloader middlewares of the pressclips crawler."""
