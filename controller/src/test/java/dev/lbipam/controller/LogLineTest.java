package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.google.gson.JsonParser;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The log line format: real logfmt that a logfmt parser reads back, and JSON. */
class LogLineTest {
  final LogLine layout = new LogLine();

  @AfterEach
  void backToLogfmt() {
    LogLine.useJson(false);
  }

  static LoggingEvent event(String message, Throwable error) {
    LoggerContext context = new LoggerContext();
    LoggingEvent event = new LoggingEvent("x", context.getLogger("dev.lbipam.controller.ServiceReconciler"), Level.WARN,
        message, error, null);
    event.setThreadName("lbipam services 1");
    event.setMDCPropertyMap(Map.of("service", "team-a/web"));
    return event;
  }

  /** A logfmt reader as the format's consumers (e.g. Loki's logfmt parser) read it. */
  static Map<String, String> parseLogfmt(String line) {
    Map<String, String> fields = new LinkedHashMap<>();
    int i = 0;
    while (i < line.length()) {
      while (i < line.length() && line.charAt(i) == ' ') {
        i++;
      }
      int eq = line.indexOf('=', i);
      String key = line.substring(i, eq);
      assertThat(key).as("a key").matches("[a-z]+");
      i = eq + 1;
      StringBuilder value = new StringBuilder();
      if (i < line.length() && line.charAt(i) == '"') {
        i++;
        while (line.charAt(i) != '"') {
          char c = line.charAt(i++);
          if (c == '\\') {
            char next = line.charAt(i++);
            value.append(switch (next) {
              case 'n' -> '\n';
              case 't' -> '\t';
              case 'r' -> '\r';
              default -> next;
            });
          } else {
            value.append(c);
          }
        }
        i++;
      } else {
        while (i < line.length() && line.charAt(i) != ' ') {
          value.append(line.charAt(i++));
        }
      }
      fields.put(key, value.toString());
    }
    return fields;
  }

  @Test
  void everyValueIsKeyedAndEscapedAndAnErrorFieldOnlyComesWithAnException() {
    String message = "invalid annotation value=\"a\\b\" problem=\"bad\nline\"";
    String line = layout.doLayout(event(message, null)).strip();
    assertThat(line).doesNotContain("\n").doesNotContain("error=");
    Map<String, String> fields = parseLogfmt(line);
    assertThat(fields).containsEntry("level", "WARN")
        .containsEntry("logger", "ServiceReconciler")
        .containsEntry("thread", "lbipam services 1")
        .containsEntry("service", "team-a/web")
        .containsEntry("msg", message)
        .containsKey("time");

    Map<String, String> failed = parseLogfmt(layout.doLayout(event("boom", new IllegalStateException("no \"luck\""))).strip());
    assertThat(failed.get("error")).isEqualTo("java.lang.IllegalStateException: no \"luck\"");
    assertThat(failed.get("stack")).contains("LogLineTest");
  }

  @Test
  void jsonLinesCarryTheSameFields() {
    LogLine.useJson(true);
    String line = layout.doLayout(event("allocated addresses=10.0.0.1 \"quoted\"", null)).strip();
    var json = JsonParser.parseString(line).getAsJsonObject();
    assertThat(json.get("msg").getAsString()).isEqualTo("allocated addresses=10.0.0.1 \"quoted\"");
    assertThat(json.get("service").getAsString()).isEqualTo("team-a/web");
    assertThat(json.has("error")).isFalse();
  }
}
