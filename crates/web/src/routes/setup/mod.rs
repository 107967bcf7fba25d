pub(crate) mod create_owner;
