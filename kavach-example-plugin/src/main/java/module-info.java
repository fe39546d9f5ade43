/** An example backend plugin: a launcher prefix around each command, on the kavach-api host-process kit. */
module com.example.kavach.launcher {
    requires dev.kavach.api;
    requires org.apache.commons.lang3;

    provides dev.kavach.api.BackendProvider with com.example.kavach.launcher.LauncherBackendProvider;
}
