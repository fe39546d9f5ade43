/**
 * Kavach's engine: finds backends on the module path and in the plugins directory, reads configuration,
 * selects a backend and drives sandboxes through their lifecycle. Never names a backend class.
 */
module dev.kavach.core {
    requires transitive dev.kavach.api;
    requires org.slf4j;
    requires typesafe.config;
    requires pf4j;

    exports dev.kavach.core;

    uses dev.kavach.api.BackendProvider;
    uses dev.kavach.api.CommandExtension;
}
