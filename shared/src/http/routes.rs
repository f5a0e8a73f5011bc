//! [`routes!`]: a resource's handlers as routes of an [`ApiRouter`](super::ApiRouter).
//!
//! With the `openapi` feature (the `heyway` command and the tests) it is
//! utoipa-axum's `routes!`: each handler's path, its OpenAPI operation and
//! the schemas it names go into the document. Without it (every Lambda)
//! only the path and methods are taken from the handler's annotation, so
//! no operation or schema is built on a cold start and none of that code
//! is linked: the health function serves the committed document instead.

#[cfg(feature = "openapi")]
macro_rules! routes {
    ($($handlers:tt)*) => {
        ::utoipa_axum::routes!($($handlers)*)
    };
}

#[cfg(not(feature = "openapi"))]
macro_rules! routes {
    ( $handler:ident $(, $tail:ident)* $(,)? ) => {{
        #[allow(unused_imports)]
        use ::utoipa_axum::PathItemExt as _;
        let mut paths = ::utoipa::openapi::path::Paths::new();
        let mut router = ::axum::routing::MethodRouter::new();
        $crate::http::routes!(@add paths router $handler);
        $( $crate::http::routes!(@add paths router $tail); )*
        (::std::vec::Vec::new(), paths, router)
    }};
    (@add $paths:ident $router:ident $handler:ident) => {
        let path = ::utoipa_axum::routes!(@path [path()] of $handler);
        let methods = ::utoipa_axum::routes!(@path [methods()] of $handler);
        $router = methods
            .iter()
            .fold($router, |router, method| router.on(method.to_method_filter(), $handler));
        $paths.add_path_operation(&path, methods, ::utoipa::openapi::path::Operation::new());
    };
}

pub(crate) use routes;
