/**
 * The {@code kavach} command. The only module that binds SLF4J to a logger (slf4j-simple, bound by
 * service binding when it is on the module path). Names no backend class: everything goes through
 * {@code dev.kavach.core.Kavach}.
 */
module dev.kavach.cli {
    requires dev.kavach.api;
    requires dev.kavach.core;
    requires info.picocli;
    requires com.fasterxml.jackson.core;
    requires org.slf4j;

    opens dev.kavach.cli to info.picocli;
}
