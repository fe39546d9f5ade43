package dev.kavach.core.plugin;

import java.io.IOException;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * What Kavach needs to know about one JAR before loading it: its manifest and whether it bundles its own
 * copy of the SPI. Reading it fully also proves that the file is an intact ZIP.
 *
 * @param file       the JAR
 * @param manifest   its manifest, or {@code null} if it has none
 * @param bundlesApi whether it contains classes of package {@code dev.kavach.api}
 * @param hasModuleInfo whether it is an explicit module
 * @param reference  its {@code reference.conf} at the root, or {@code null} if it has none: read here, so that a
 *                   plugin's defaults are known before (and without) loading its classes
 */
record PluginJar(Path file, Manifest manifest, boolean bundlesApi, boolean hasModuleInfo, byte[] reference) {
    static final String API_PACKAGE_DIR = "dev/kavach/api/";
    static final String REFERENCE = "reference.conf";

    static PluginJar read(Path file) throws PluginProblem {
        try (JarFile jar = new JarFile(file.toFile(), false)) {
            boolean bundlesApi = false;
            boolean hasModuleInfo = false;
            for (JarEntry entry : java.util.Collections.list(jar.entries())) {
                String name = entry.getName();
                bundlesApi |= name.startsWith(API_PACKAGE_DIR) && name.endsWith(".class");
                // module-info at the root, or in a versioned directory of a multi-release JAR
                hasModuleInfo |= name.equals("module-info.class") || (name.startsWith("META-INF/versions/") && name.endsWith("/module-info.class"));
            }
            JarEntry reference = jar.getJarEntry(REFERENCE);
            byte[] referenceBytes = null;
            if (reference != null) {
                try (java.io.InputStream in = jar.getInputStream(reference)) {
                    referenceBytes = in.readAllBytes();
                }
            }
            return new PluginJar(file, jar.getManifest(), bundlesApi, hasModuleInfo, referenceBytes);
        } catch (IOException | SecurityException e) {
            throw new PluginProblem("cannot read " + file.getFileName() + " as a JAR: " + e.getMessage() + " (corrupt or not a JAR)",
                    "replace " + file.getFileName() + " with an intact copy of the plugin (rebuild or download it again), or remove it");
        }
    }
}
