# moonml's custom training image for `environment=docker` (hydra/launcher=azureml).
#
# What it holds: Python and the pinned packages of requirements.txt, nothing else: what the job
# imports (moonml's dependencies and azureml-mlflow), neither AzureML SDK (the service mounts the
# data and points MLflow at the job's run; the SDKs are for the machine that submits).
# - No project code: each AzureML run gets moonml, conf/ and requirements.txt in its snapshot
#   (ScriptRunConfig source_directory), so one image serves every commit whose requirements
#   are unchanged.
# - No secrets: no ENV/ARG credentials, and .dockerignore sends only requirements.txt to the
#   build context, so config.json, .env, keys or mlflow.db cannot be copied in by accident.
# - AzureML runs the job's own command with this image's Python (user_managed_dependencies):
#   it needs `python` on PATH and a POSIX shell at /bin/sh, both provided by the base image.
#   Conda, which AzureML's docs list for the images it builds environments on, is not needed
#   when the environment is user-managed.
#
# Build for the x86_64 machines AzureML's CPU and GPU clusters run on:
#   docker build --platform=linux/amd64 -t <registry>.azurecr.io/moonml/train:<tag> .
# azure-pipelines.yml builds and pushes it whenever this file or requirements.txt changes.

# Python 3.11 like the development machines and CI; a full tag so a rebuild gets the same
# interpreter (bump it deliberately, e.g. to the next 3.11 security release).
FROM python:3.11.16-slim-trixie

LABEL org.opencontainers.image.title="moonml-train" \
      org.opencontainers.image.description="Python 3.11 with moonml's pinned requirements for AzureML runs (no project code)"

# Unbuffered output streams the job's log to AzureML as it runs; no .pyc files in the
# read-only snapshot; pip keeps no cache and does not nag about its version or about root.
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

COPY requirements.txt /tmp/moonml-requirements.txt

# azureml-dataprep requires pip>=25.3; pin the pip the project's machines use.
RUN python -m pip install --no-cache-dir pip==26.3 \
    && python -m pip install --no-cache-dir -r /tmp/moonml-requirements.txt \
    && rm /tmp/moonml-requirements.txt

# The image keeps the base image's root user, on purpose. AzureML starts the container and
# runs the job's command in it; its own base images (Azure/AzureML-Containers) all run as
# root, and its maintainers answered a request to drop root with "USER root is in all the base
# images and derived images we build on user behalf" (AzureML-Containers issue #24). The
# job's working directory, snapshot, outputs/ and logs/ are mounted and written by AzureML's
# root-run agent, so a non-root USER here risks permission errors that only show up on a
# paid cluster. The container runs one batch job, exposes no port and holds no secret.
# Revisit (add a USER) once a run on the cluster has shown a non-root user works.
