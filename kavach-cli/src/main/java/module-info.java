/** The {@code kavach} command. The only module that binds SLF4J to a logger. */
module dev.kavach.cli {
    requires dev.kavach.core;
    requires info.picocli;

    opens dev.kavach.cli to info.picocli;
}
