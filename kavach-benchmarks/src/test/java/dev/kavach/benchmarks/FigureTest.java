package dev.kavach.benchmarks;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FigureTest {
    @Test
    void aRatioAboveItsCeilingFailsAndOneBelowPasses() {
        assertEquals(Figure.Status.FAIL, Figure.compared("x", "ms", 1.4, 1.0, Goal.ratioAtMost(1.3), "").status());
        assertEquals(Figure.Status.PASS, Figure.compared("x", "ms", 1.2, 1.0, Goal.ratioAtMost(1.3), "").status());
        assertEquals(Figure.Status.FAIL, Figure.compared("x", "MiB/s", 700, 1000, Goal.ratioAtLeast(0.8), "").status());
        assertEquals(Figure.Status.PASS, Figure.compared("x", "MiB/s", 900, 1000, Goal.ratioAtLeast(0.8), "").status());
        assertEquals(Figure.Status.FAIL, Figure.absolute("x", "ms", 5, Goal.valueBelow(5), "").status());
        assertEquals(Figure.Status.INFO, Figure.absolute("x", "us", 0.1, Goal.NONE, "").status());
    }

    @Test
    void theLineNamesBothMediansTheRatioTheGoalAndTheVerdict() {
        String line = Figure.compared("exec.minimal-vs-processbuilder", "ms", 1.5, 1.0, Goal.ratioAtMost(1.3), "how").line();
        assertTrue(line.startsWith("exec.minimal-vs-processbuilder "), line);
        assertTrue(line.contains("kavach=1.50 ms") && line.contains("baseline=1.00 ms") && line.contains("ratio=1.500")
                && line.contains("goal=ratio<=1.30") && line.contains(" FAIL") && line.endsWith("# how"), line);
        String skipped = Figure.skipped("vm.true", "no guest kernel").line();
        assertTrue(skipped.contains("kavach=-") && skipped.contains(" SKIP") && skipped.endsWith("# no guest kernel"), skipped);
    }

    @Test
    void aFigureMeasuredUnderLoadIsMarkedNotHidden() {
        Figure quiet = Figure.compared("cli.version-vs-java-version", "ms", 150, 60, Goal.NONE, "how").measuredUnder(0.4, 1.1);
        assertFalse(quiet.underLoad());
        assertTrue(quiet.line().contains("load=0.40->1.10") && !quiet.line().contains("UNDER-LOAD") && quiet.line().endsWith("# how"), quiet.line());

        Figure busy = Figure.compared("exec.basic-vs-bwrap", "ms", 30, 20, Goal.ratioAtMost(1.3), "how").measuredUnder(1.5, 6.2);
        assertTrue(busy.underLoad(), "the end of the measurement was above 2");
        assertEquals(Figure.Status.FAIL, busy.status(), "the verdict stays: the mark says how far to trust it");
        assertTrue(busy.line().contains("load=1.50->6.20 UNDER-LOAD"), busy.line());
        String json = JsonText.document("short", "s", "f", new java.util.LinkedHashMap<>(), List.of(busy, quiet));
        assertTrue(json.replaceAll("\\s+", " ").contains("\"load_start\" : 1.5, \"load_end\" : 6.2, \"under_load\" : true"), json);
        assertTrue(json.contains("\"under_load\" : false"), json);

        assertEquals(busy, busy.measuredUnder(0.1, 0.1), "a figure's own load (timed around its rounds) wins over its group's");
        assertFalse(Figure.skipped("vm", "no kernel").measuredUnder(5, 5).underLoad(), "nothing was measured");
    }

    @Test
    void figuresSurviveTheFileBetweenAFigureProgramAndTheSuite(@TempDir Path dir) throws Exception {
        List<Figure> figures = List.of(Figure.compared("a", "ms", 2.5, 2.0, Goal.ratioAtMost(1.3), "note with = and : and #").measuredUnder(0.5, 2.5),
                Figure.skipped("b", "why"), Figure.absolute("c", "KiB", 14.2, Goal.NONE, ""));
        Path file = dir.resolve("f.properties");
        FigureFile.write(file, figures);
        assertEquals(figures, FigureFile.read(file));
    }

    @Test
    void jsonHasNullForMissingNumbersAndEscapesText() {
        String json = JsonText.document("short", "s", "f", new java.util.LinkedHashMap<>(java.util.Map.of("cpu", "AMD \"EPYC\"")),
                List.of(Figure.skipped("vm", "no\tkernel"), Figure.absolute("n", "us", 123456.789, Goal.NONE, "")));
        assertTrue(json.contains("\"cpu\" : \"AMD \\\"EPYC\\\"\""), json);
        assertTrue(json.contains("\"kavach\" : null") && json.contains("\"note\" : \"no\\tkernel\""), json);
        assertTrue(json.contains("\"kavach\" : 123457,"), json);
    }

    @Test
    void medianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
        Samples samples = new Samples();
        for (double v : new double[] {9, 1, 3, 5}) {
            samples.add(v);
        }
        assertEquals(4.0, samples.median());
        samples.add(100);
        assertEquals(5.0, samples.median());
    }

    @Test
    void deletingATreeRemovesEverythingInIt(@TempDir Path dir) throws Exception {
        Path tree = Files.createDirectories(dir.resolve("a/b/c"));
        Files.writeString(tree.resolve("f"), "x");
        DirectoryTree.delete(dir.resolve("a"));
        assertTrue(Files.notExists(dir.resolve("a")));
    }
}
