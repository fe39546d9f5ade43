/**
 * Kavach's engine: finds backends on the module path and in the plugins directory, reads configuration,
 * selects a backend and drives sandboxes through their lifecycle. Never names a backend class.
 */
module dev.kavach.core {
    requires transitive dev.kavach.api;
    requires org.slf4j;
    requires typesafe.config;
    // PF4J 3.15.0 has no module descriptor: this is its automatic name. Only its descriptor parsing and
    // version semantics are used; plugins are loaded into module layers by dev.kavach.core.plugin.
    requires pf4j;

    exports dev.kavach.core;

    uses dev.kavach.api.BackendProvider;
    uses dev.kavach.api.CommandExtension;

    provides dev.kavach.api.BackendProvider with dev.kavach.core.noop.NoopBackendProvider;
}
