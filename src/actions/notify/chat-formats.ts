/**
 * Bodies for chat incoming webhooks. Slack: `{"text", "blocks"}` with mrkdwn escaped
 * (https://api.slack.com/messaging/webhooks). Microsoft Teams: a legacy MessageCard or an
 * Adaptive Card in a message envelope (what Teams workflows' "post to a channel when a webhook
 * request is received" accepts). Every alert value is escaped for the format; nothing from an
 * event becomes a link or a mention.
 */
import { entityLines, type AlertView } from './alert-view.js';
import { escapeHtml, escapeSlack, type MessageTemplate } from './message-template.js';

/** Slack allows at most 10 fields in a section. */
const SLACK_MAX_FIELDS = 10;

const LEVEL_COLOUR: Readonly<Record<string, string>> = { critical: '8B0000', high: 'D9534F', medium: 'F0AD4E', low: '5BC0DE', informational: '777777' };

export function slackBody(view: AlertView, template: MessageTemplate | undefined): string {
  const text = template
    ? template.render(view, 'slack')
    : `*[${escapeSlack(view.level.toUpperCase())}]* ${escapeSlack(view.rule.title)} (rule by ${escapeSlack(view.rule.author)})`;
  const fields = entityLines(view)
    .slice(0, SLACK_MAX_FIELDS)
    .map((line) => {
      const eq = line.indexOf('=');
      return { type: 'mrkdwn', text: `*${escapeSlack(line.slice(0, eq))}*\n${escapeSlack(line.slice(eq + 1))}` };
    });
  const blocks: unknown[] = [{ type: 'section', text: { type: 'mrkdwn', text } }];
  if (fields.length > 0) blocks.push({ type: 'section', fields });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: escapeSlack(`alert ${view.alert.id} · ${view.alert.created} · ${view.alert.events} event(s)`) }] });
  return JSON.stringify({ text, blocks });
}

function facts(view: AlertView): { name: string; value: string }[] {
  return [
    { name: 'Level', value: view.level },
    { name: 'Rule author', value: view.rule.author },
    ...entityLines(view).map((line) => ({ name: line.slice(0, line.indexOf('=')), value: line.slice(line.indexOf('=') + 1) })),
    { name: 'Alert', value: `${view.alert.id} (${view.alert.created})` },
  ];
}

/** MessageCard text accepts a subset of HTML and Markdown; values are HTML-escaped. */
export function teamsMessageCard(view: AlertView, template: MessageTemplate | undefined): string {
  const title = template ? template.render(view, 'html') : escapeHtml(`[${view.level.toUpperCase()}] ${view.rule.title}`);
  return JSON.stringify({
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    summary: title,
    themeColor: LEVEL_COLOUR[view.level] ?? '777777',
    title,
    sections: [{ facts: facts(view).map((f) => ({ name: escapeHtml(f.name), value: escapeHtml(f.value) })) }],
  });
}

/** Adaptive Card TextBlocks render Markdown; values go in plain (FactSet values are not links). */
export function teamsAdaptiveCard(view: AlertView, template: MessageTemplate | undefined): string {
  const title = template ? template.render(view, 'plain') : `[${view.level.toUpperCase()}] ${view.rule.title}`;
  return JSON.stringify({
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: title, weight: 'Bolder', size: 'Medium', wrap: true },
            { type: 'FactSet', facts: facts(view).map((f) => ({ title: f.name, value: f.value })) },
          ],
        },
      },
    ],
  });
}
