//! The generator: spec → ARM template, parameters, Bicep, deploy.sh. Placeholder until it lands.
