package dev.kavach.core;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Core never names a backend or the CLI; PF4J stays inside dev.kavach.core.plugin. */
class CoreArchitectureTest {
    private static final JavaClasses CORE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.kavach.core");

    @Test
    void importsCoreClasses() {
        assertTrue(CORE.contain(Kavach.class), "ArchUnit must see the core classes, or the rules below check nothing");
    }

    @Test
    void coreDependsOnNoBackendAndNoCli() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("dev.kavach.backend..", "dev.kavach.cli..").check(CORE);
    }

    @Test
    void facadeLeavesPf4jToThePluginPackage() {
        noClasses().that().resideOutsideOfPackage("dev.kavach.core.plugin")
                .should().dependOnClassesThat().resideInAnyPackage("org.pf4j..")
                .check(CORE);
    }
}
