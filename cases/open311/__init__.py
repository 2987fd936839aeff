"""Open311 GeoReport v2 on top of cases, so that civic apps can file and follow requests:
`/open311/v2/services`, `/services/{code}`, `/requests` (GET, and POST with an `api_key`) and
`/requests/{id}`, each `.json` or `.xml`, the authority named by `jurisdiction_id`."""
