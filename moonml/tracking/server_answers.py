"""What a failed MLflow call says about the server: an API it lacks, or a server gone.

Servers differ in what they implement: MLflow 2.x and AzureML's MLflow service have no logged
models (MLflow 3) and AzureML's registry has no aliases. Such a server answers the missing
endpoint with a bare 404, which MLflow's client reports as ENDPOINT_NOT_FOUND; MLflow's own
"no such thing" answers (RESOURCE_DOES_NOT_EXIST, ...) come from an API that exists.
"""

ENDPOINT_NOT_FOUND = "ENDPOINT_NOT_FOUND"
DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"


def error_code(err: BaseException) -> str | None:
    return getattr(err, "error_code", None)


def endpoint_missing(err: BaseException) -> bool:
    """The server has no such API (a 404 that is not an answer of MLflow's own)."""
    return error_code(err) == ENDPOINT_NOT_FOUND


def server_unreachable(err: BaseException) -> bool:
    """The call never got an answer (refused, reset, timed out), after MLflow's own retries."""
    import requests

    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
            return True
        err = err.__cause__ or err.__context__
    return False
