package dev.kavach.benchmarks;

import java.util.Locale;
import java.util.Properties;

import static java.util.Objects.requireNonNull;

/**
 * One measured figure: Kavach's median, the baseline's median measured in the same run, their ratio and
 * the verdict against the goal. {@code kavach}, {@code baseline} and {@code ratio} are NaN when absent
 * (an absolute figure has no baseline; a skipped one has nothing).
 *
 * @param name     a stable dotted name, e.g. {@code exec.minimal-vs-processbuilder}
 * @param unit     the unit of {@code kavach} and {@code baseline}, e.g. {@code ms}, {@code MiB/s}
 * @param status   PASS/FAIL against the goal, INFO without one, SKIP when it cannot run here, ERROR when
 *                 the measurement itself broke
 * @param note     how it was measured, or why it was skipped
 * @param loadStart the host's 1-minute load average when the figure's measurement began (NaN: not recorded)
 * @param loadEnd   the same when it ended
 */
public record Figure(String name, String unit, double kavach, double baseline, double ratio, Goal goal, Status status, String note,
                     double loadStart, double loadEnd) {
    public enum Status { PASS, FAIL, INFO, SKIP, ERROR }

    /**
     * A load average above this (on any machine: the suite's machines have 2 cores) means other work
     * competed with the measurement; such a figure is marked, not dropped.
     */
    public static final double LOAD_LIMIT = 2.0;

    public Figure {
        requireNonNull(name, "name is null");
        requireNonNull(unit, "unit is null");
        requireNonNull(goal, "goal is null");
        requireNonNull(status, "status is null");
        note = note == null ? "" : note.replace('\n', ' ');
    }

    /** A figure whose load is not recorded yet (the suite records it around the measurement). */
    public Figure(String name, String unit, double kavach, double baseline, double ratio, Goal goal, Status status, String note) {
        this(name, unit, kavach, baseline, ratio, goal, status, note, Double.NaN, Double.NaN);
    }

    /** This figure with the load around its measurement, unless it already carries its own (more precise) one. */
    public Figure measuredUnder(double start, double end) {
        if (!Double.isNaN(loadStart) || status == Status.SKIP) {
            return this;
        }
        return new Figure(name, unit, kavach, baseline, ratio, goal, status, note, start, end);
    }

    /** Whether the host was busy with other work while this was measured (load above {@link #LOAD_LIMIT} at its start or end). */
    public boolean underLoad() {
        return loadStart > LOAD_LIMIT || loadEnd > LOAD_LIMIT;
    }

    /** Kavach's value against a baseline; the ratio is kavach / baseline, judged by a ratio goal. */
    public static Figure compared(String name, String unit, double kavach, double baseline, Goal goal, String note) {
        double ratio = kavach / baseline;
        return new Figure(name, unit, kavach, baseline, ratio, goal, verdict(goal, ratio), note);
    }

    /** An absolute value, judged by a value goal (or none). */
    public static Figure absolute(String name, String unit, double value, Goal goal, String note) {
        return new Figure(name, unit, value, Double.NaN, Double.NaN, goal, verdict(goal, value), note);
    }

    public static Figure skipped(String name, String reason) {
        return new Figure(name, "", Double.NaN, Double.NaN, Double.NaN, Goal.NONE, Status.SKIP, reason);
    }

    public static Figure failed(String name, String reason) {
        return new Figure(name, "", Double.NaN, Double.NaN, Double.NaN, Goal.NONE, Status.ERROR, reason);
    }

    private static Status verdict(Goal goal, double value) {
        if (goal.kind() == Goal.Kind.NONE) {
            return Status.INFO;
        }
        return goal.met(value) ? Status.PASS : Status.FAIL;
    }

    /** One line: name, Kavach's median, the baseline's, the ratio, the goal, the verdict, the load around it (marked above 2). */
    public String line() {
        return String.format(Locale.ROOT, "%-44s kavach=%-14s baseline=%-14s ratio=%-7s goal=%-11s %s%s%s",
                name, withUnit(kavach), withUnit(baseline), Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.3f", ratio),
                goal.describe(), status, load(), note.isEmpty() ? "" : "  # " + note);
    }

    private String load() {
        if (Double.isNaN(loadStart) && Double.isNaN(loadEnd)) {
            return "";
        }
        return String.format(Locale.ROOT, "  load=%.2f->%.2f%s", loadStart, loadEnd,
                underLoad() ? " UNDER-LOAD(>" + number(LOAD_LIMIT) + ": other work competed; compare with care)" : "");
    }

    private String withUnit(double value) {
        return Double.isNaN(value) ? "-" : number(value) + " " + unit;
    }

    /** Three significant digits at least, no exponent. */
    static String number(double value) {
        double magnitude = Math.abs(value);
        if (magnitude >= 100) {
            return String.format(Locale.ROOT, "%.0f", value);
        }
        if (magnitude >= 10) {
            return String.format(Locale.ROOT, "%.1f", value);
        }
        if (magnitude >= 1) {
            return String.format(Locale.ROOT, "%.2f", value);
        }
        return String.format(Locale.ROOT, "%.3g", value);
    }

    /** Writes this figure under {@code prefix} (used between the figure programs and the suite). */
    void store(Properties properties, String prefix) {
        properties.setProperty(prefix + "name", name);
        properties.setProperty(prefix + "unit", unit);
        properties.setProperty(prefix + "kavach", Double.toString(kavach));
        properties.setProperty(prefix + "baseline", Double.toString(baseline));
        properties.setProperty(prefix + "ratio", Double.toString(ratio));
        properties.setProperty(prefix + "goal", goal.encode());
        properties.setProperty(prefix + "status", status.name());
        properties.setProperty(prefix + "note", note);
        properties.setProperty(prefix + "loadStart", Double.toString(loadStart));
        properties.setProperty(prefix + "loadEnd", Double.toString(loadEnd));
    }

    static Figure load(Properties properties, String prefix) {
        return new Figure(properties.getProperty(prefix + "name"), properties.getProperty(prefix + "unit"),
                Double.parseDouble(properties.getProperty(prefix + "kavach")), Double.parseDouble(properties.getProperty(prefix + "baseline")),
                Double.parseDouble(properties.getProperty(prefix + "ratio")), Goal.parse(properties.getProperty(prefix + "goal")),
                Status.valueOf(properties.getProperty(prefix + "status")), properties.getProperty(prefix + "note"),
                Double.parseDouble(properties.getProperty(prefix + "loadStart", "NaN")), Double.parseDouble(properties.getProperty(prefix + "loadEnd", "NaN")));
    }
}
