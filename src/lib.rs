pub mod engine; pub mod binding;
