/**
 * Kavach's benchmark suite, run by {@code bench/run.sh}: JMH benchmarks for in-JVM latencies and
 * stand-alone figure programs for what JMH cannot measure well (heap growth, leaks, whole processes,
 * plugin discovery in module layers). Never part of the default build.
 */
module dev.kavach.benchmarks {
    requires dev.kavach.core;
    requires dev.kavach.backend.sev;
    requires dev.kavach.attestation.snp;
    requires jmh.core;
    requires com.fasterxml.jackson.core;
    requires java.compiler;
    requires java.management;
    requires jdk.management;
}
