"""Request and response models of the v1 API, one module per group of routes.

Create/Update/Public models are separate classes, so a field a client may send is never
confused with one only the server sets. ``api.schemas`` keeps the original match models.
"""
