//! The lint driver: walking, pairing, configuration, suppressions. Placeholder until it lands.
