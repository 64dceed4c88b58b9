package dev.stackerj.core.stackerfile;

import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.parser.Parser;

/**
 * A YAML parser that remembers where the last event it handed out starts: SnakeYAML's alias, nesting and
 * size limits throw without a mark, and this one is where the problem is.
 */
final class MarkingParser implements Parser {
  private final Parser parser;
  Mark last;

  MarkingParser(Parser parser) {
    this.parser = parser;
  }

  @Override
  public boolean checkEvent(Event.ID choice) {
    return parser.checkEvent(choice);
  }

  @Override
  public Event peekEvent() {
    return seen(parser.peekEvent());
  }

  @Override
  public Event getEvent() {
    return seen(parser.getEvent());
  }

  private Event seen(Event e) {
    if (e != null) {
      last = e.getStartMark();
    }
    return e;
  }
}
