package dev.lbipam.controller;

/** Bounds what user-supplied text costs in a log line or an Event (a 100 kB value is not repeated). */
public final class LogText {
  /** Longest piece of user text kept in a log line or an Event message. */
  public static final int LIMIT = 256;

  private LogText() {}

  /** The text itself when short, else its start and how much was left out. */
  public static String cap(String text) {
    if (text == null || text.length() <= LIMIT) {
      return text;
    }
    return text.substring(0, LIMIT) + "...(" + (text.length() - LIMIT) + " more characters)";
  }
}
