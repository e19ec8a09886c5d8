/** HTML escaping for the pages Veil writes (compliance reports, the synthetic-data evaluation). */

/** Escapes text for HTML element content and double- or single-quoted attribute values (& < > " '). */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
