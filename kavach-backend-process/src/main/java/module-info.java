/** The built-in default backend: the command runs as a host process inside Linux isolation layers. */
module dev.kavach.backend.process {
    requires dev.kavach.api;
    requires static org.slf4j;

    provides dev.kavach.api.BackendProvider with dev.kavach.backend.process.ProcessBackendProvider;
}
