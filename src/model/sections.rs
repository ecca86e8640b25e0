//! The smaller sections: userlist, peers, resolvers, mailers, http-errors, ring, program, cache.

use super::Loc;

#[derive(Debug, Clone, Default)]
pub struct Userlist {
    pub name: String,
    pub loc: Loc,
    pub groups: Vec<(String, Vec<String>)>,
    pub users: Vec<User>,
}

#[derive(Debug, Clone, Default)]
pub struct User {
    pub name: String,
    pub password: String,
    pub insecure: bool,
    pub groups: Vec<String>,
}

/// A generic named section with its lines, for sections whose runtime is not built yet.
#[derive(Debug, Clone, Default)]
pub struct Generic {
    pub name: String,
    pub loc: Loc,
    pub lines: Vec<(Vec<String>, Loc)>,
}

pub type Peers = Generic;
pub type Resolvers = Generic;
pub type Mailers = Generic;
pub type HttpErrors = Generic;
pub type Ring = Generic;
pub type Program = Generic;
pub type Cache = Generic;
