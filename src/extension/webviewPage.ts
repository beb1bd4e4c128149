/**
 * The page shell every MailDesk webview uses: a strict Content-Security-Policy, our own
 * stylesheet and one nonce'd script of ours, nothing else. Each panel supplies its body.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { escapeHtml } from '../shared/html';

export interface WebviewPageOptions {
  webview: vscode.Webview;
  extensionUri: vscode.Uri;
  /** Bundle name in dist/, e.g. 'webview-messages.js'. */
  script: string;
  /** Stylesheet in media/, e.g. 'messages.css'. */
  stylesheet: string;
  title: string;
  /** The page's body, already escaped where it holds data. */
  body: string;
  /** Images from our media and data: URLs (quoted cid images); never remote. */
  allowDataImages?: boolean;
  /** style="" attributes (the sanitised HTML of a quoted message keeps its inline styles). */
  allowInlineStyles?: boolean;
  /**
   * VS Code's icon font (dist/codicons): `<span class="codicon codicon-flag">`. The link's id is
   * where @vscode-elements' vscode-icon (a vscode-button's `icon`) finds the same stylesheet.
   */
  codicons?: boolean;
}

export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

export function webviewPage(o: WebviewPageOptions, nonce = newNonce()): string {
  const { webview } = o;
  const script = webview.asWebviewUri(vscode.Uri.joinPath(o.extensionUri, 'dist', o.script));
  const css = webview.asWebviewUri(vscode.Uri.joinPath(o.extensionUri, 'media', o.stylesheet));
  const csp = [
    `default-src 'none'`,
    o.allowDataImages ? `img-src ${webview.cspSource} data:` : '',
    `style-src ${webview.cspSource}${o.allowInlineStyles ? ` 'unsafe-inline'` : ''}`,
    o.codicons ? `font-src ${webview.cspSource}` : '',
    `script-src 'nonce-${nonce}'`,
    `form-action 'none'`,
    `frame-src 'none'`,
    `base-uri 'none'`,
  ]
    .filter(Boolean)
    .join('; ');
  return `<!DOCTYPE html>
<html lang="${escapeHtml(vscode.env.language)}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${o.codicons ? `<link rel="stylesheet" id="vscode-codicon-stylesheet" href="${escapeHtml(webview.asWebviewUri(vscode.Uri.joinPath(o.extensionUri, 'dist', 'codicons', 'codicon.css')).toString())}">
` : ''}<link rel="stylesheet" href="${escapeHtml(css.toString())}">
<title>${escapeHtml(o.title)}</title>
</head>
<body>
${o.body}
<script nonce="${escapeHtml(nonce)}" src="${escapeHtml(script.toString())}"></script>
</body>
</html>`;
}
