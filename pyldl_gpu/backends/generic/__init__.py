"""Array-module versions of the backend's operations: what ``Backend`` runs where a backend has no kernel of its
own, and every kernel's oracle in the tests. Each function takes ``xp`` (or the backend) first."""
