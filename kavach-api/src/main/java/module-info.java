/**
 * Kavach's stable backend SPI. Backends implement {@link dev.kavach.api.BackendProvider} and declare it
 * with {@code provides}; embedders use the value types to describe work and read results. Depends on
 * {@code java.base} only, so that a backend compiled against it links against any Kavach host.
 */
module dev.kavach.api {
    exports dev.kavach.api;
    exports dev.kavach.api.io;
    exports dev.kavach.api.process;

    uses dev.kavach.api.BackendProvider;
    uses dev.kavach.api.CommandExtension;
}
