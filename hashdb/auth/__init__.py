"""Who may do what: API keys (:mod:`hashdb.auth.keys`) turn a caller into a
:class:`~hashdb.identity.Principal`, and the sharing rules (:mod:`hashdb.auth.access`) decide
which lists it may see, write and manage."""
