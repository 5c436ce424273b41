# Execution environment (EE) image for AWX / Automation Platform jobs that run clusterops.groups.
# Self-contained: build it from a checkout, nothing generated first (.dockerignore keeps local state out):
#     docker build -t clusterops-groups-ee:0.1.0 .
# It is the image `ansible-builder build -f execution-environment.yml` makes (that file stays the EE's
# definition): same base image, Python, ansible-core and ansible-runner, this collection (built from the
# checkout with galaxy.yml's build_ignore) and its Python requirements, builder's entrypoint, UID 1000.
# tests/integration/test_packaging.py compares the two; change both together. No container engine runs on
# our CI machines: this image was never built here (docs/awx.md).
ARG EE_BASE_IMAGE="quay.io/centos/centos:stream9"
ARG PYPKG="python3.11"
ARG PYCMD="/usr/bin/python3.11"

# The Python and Ansible every job runs with.
FROM ${EE_BASE_IMAGE} AS base
ARG PYPKG
ARG PYCMD
# Root to install packages, whatever user the base image ends with; the final stage ends as UID 1000.
# hadolint ignore=DL3002
USER 0
ENV PIP_BREAK_SYSTEM_PACKAGES=1
# The base image's own packages are not pinned either: pin the image by digest (docs/awx.md).
# hadolint ignore=DL3041
RUN dnf install -y "$PYPKG" && dnf clean all && rm -rf /var/cache/dnf \
    && "$PYCMD" -m ensurepip --root / \
    && "$PYCMD" -m pip install --no-cache-dir 'ansible-core==2.19.14' 'ansible-runner==2.4.3'

# Build the collection tarball from the checkout, install it where ansible-builder puts collections, and
# take ansible-builder's entrypoint (it gives an arbitrary OpenShift UID a passwd entry and a home).
FROM base AS collection
ARG PYCMD
COPY . /src
RUN ansible-galaxy collection build --output-path /tmp/dist /src \
    && ANSIBLE_GALAXY_DISABLE_GPG_VERIFY=1 ansible-galaxy collection install --offline \
        --collections-path /usr/share/ansible/collections /tmp/dist/clusterops-groups-*.tar.gz \
    && "$PYCMD" -m pip install --no-cache-dir --no-deps --target /tmp/builder 'ansible-builder==3.2.0' \
    && install -D -m 0755 /tmp/builder/ansible_builder/_target_scripts/entrypoint /opt/builder/bin/entrypoint

FROM base AS final
ARG PYCMD
COPY --from=collection /usr/share/ansible /usr/share/ansible
COPY --from=collection /opt/builder/bin/entrypoint /opt/builder/bin/entrypoint
# The collection's Python requirements, as named by its meta/execution-environment.yml (what builder introspects).
RUN "$PYCMD" -m pip install --no-cache-dir \
        -r /usr/share/ansible/collections/ansible_collections/clusterops/groups/requirements.txt 'dumb-init==1.2.5' \
    && chmod ug+rw /etc/passwd \
    && mkdir -p /runner && chgrp 0 /runner && chmod -R ug+rwx /runner
WORKDIR /runner
LABEL ansible-execution-environment=true
USER 1000
ENTRYPOINT ["/opt/builder/bin/entrypoint", "dumb-init"]
CMD ["bash"]
