package dev.lbipam.controller;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One log line per event, as logfmt (every value keyed; quoted and escaped where needed) or, with
 * {@code --log-format=json} / {@code LBIPAM_LOG_FORMAT=json}, as one JSON object. The Service being
 * reconciled comes from the MDC as {@code service}; {@code error} appears only with an exception.
 */
public final class LogLine extends LayoutBase<ILoggingEvent> {
  private static volatile boolean json = "json".equalsIgnoreCase(System.getenv("LBIPAM_LOG_FORMAT"));

  /** Switches every appender using this layout; called once the command line is parsed. */
  public static void useJson(boolean on) {
    json = on;
  }

  @Override
  public String doLayout(ILoggingEvent event) {
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("time", Instant.ofEpochMilli(event.getTimeStamp()).toString());
    fields.put("level", event.getLevel().toString());
    String logger = event.getLoggerName();
    fields.put("logger", logger.substring(logger.lastIndexOf('.') + 1));
    fields.put("thread", event.getThreadName());
    String service = event.getMDCPropertyMap().get("service");
    if (service != null) {
      fields.put("service", service);
    }
    fields.put("msg", event.getFormattedMessage());
    IThrowableProxy error = event.getThrowableProxy();
    if (error != null) {
      fields.put("error", error.getClassName() + ": " + error.getMessage());
      fields.put("stack", ThrowableProxyUtil.asString(error));
    }
    return (json ? json(fields) : logfmt(fields)) + System.lineSeparator();
  }

  static String logfmt(Map<String, String> fields) {
    StringBuilder line = new StringBuilder();
    for (Map.Entry<String, String> field : fields.entrySet()) {
      if (line.length() > 0) {
        line.append(' ');
      }
      line.append(field.getKey()).append('=');
      String value = field.getValue() == null ? "" : field.getValue();
      if (!value.isEmpty() && value.chars().allMatch(c -> c > ' ' && c != '"' && c != '=' && c != '\\' && c < 127)) {
        line.append(value);
      } else {
        line.append('"');
        escape(value, line);
        line.append('"');
      }
    }
    return line.toString();
  }

  static String json(Map<String, String> fields) {
    StringBuilder line = new StringBuilder("{");
    for (Map.Entry<String, String> field : fields.entrySet()) {
      if (line.length() > 1) {
        line.append(',');
      }
      line.append('"').append(field.getKey()).append("\":\"");
      escape(field.getValue() == null ? "" : field.getValue(), line);
      line.append('"');
    }
    return line.append('}').toString();
  }

  /** The escapes logfmt and JSON share: quote, backslash, and control characters. */
  private static void escape(String value, StringBuilder out) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
  }
}
