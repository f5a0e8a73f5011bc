//! What the architecture test reads the workspace with: the sources and
//! manifests, the layers, and the finders for each rule.

pub mod crate_root;
pub mod graph;
pub mod layers;
pub mod long_functions;
pub mod manifests;
pub mod paths;
pub mod raw_documents;
pub mod references;
pub mod report;
pub mod sources;
