package dev.kavach.benchmarks;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The suite's JSON result document, written by hand: the suite needs nothing but the JDK and JMH. */
final class JsonText {
    private JsonText() {
    }

    static String document(String mode, String started, String finished, Map<String, String> machine, List<Figure> figures) {
        StringBuilder json = new StringBuilder("{\n");
        json.append("  \"suite\": \"kavach-benchmarks\",\n");
        json.append("  \"mode\": ").append(string(mode)).append(",\n");
        json.append("  \"started\": ").append(string(started)).append(",\n");
        json.append("  \"finished\": ").append(string(finished)).append(",\n");
        json.append("  \"machine\": {");
        String separator = "\n";
        for (Map.Entry<String, String> fact : machine.entrySet()) {
            json.append(separator).append("    ").append(string(fact.getKey())).append(": ").append(string(fact.getValue()));
            separator = ",\n";
        }
        json.append("\n  },\n  \"figures\": [");
        separator = "\n";
        for (Figure f : figures) {
            json.append(separator).append("    {\"name\": ").append(string(f.name()))
                    .append(", \"unit\": ").append(string(f.unit()))
                    .append(", \"kavach\": ").append(number(f.kavach()))
                    .append(", \"baseline\": ").append(number(f.baseline()))
                    .append(", \"ratio\": ").append(number(f.ratio()))
                    .append(", \"goal\": ").append(string(f.goal().describe()))
                    .append(", \"status\": ").append(string(f.status().name()))
                    .append(", \"load_start\": ").append(number(f.loadStart()))
                    .append(", \"load_end\": ").append(number(f.loadEnd()))
                    .append(", \"under_load\": ").append(f.underLoad())
                    .append(", \"note\": ").append(string(f.note())).append('}');
            separator = ",\n";
        }
        return json.append("\n  ]\n}\n").toString();
    }

    private static String number(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return "null";
        }
        return new BigDecimal(value).round(new MathContext(6)).stripTrailingZeros().toPlainString();
    }

    static String string(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
