//! Authentication methods: pure functions over the challenge data (no I/O).
