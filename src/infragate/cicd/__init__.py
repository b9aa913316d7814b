"""ICP-3.1, deployments through CircleCI and GitHub: the defined workflow (``stages``), written as a CircleCI
config (``config_gen``) and checked in a repository (``config_check``); GitHub's branch protection and
environments checked and planned (``github_settings``); the CircleCI and GitHub APIs (``circleci``,
``github``, over ``http``); and webhook deliveries verified and read (``webhooks``)."""
