/**
 * wsserver-compat/compat — the procedural API and the PHP-style class.
 * NOT YET IMPLEMENTED: every export throws until the compat issue lands.
 */
function notYetImplemented(): never {
  throw new Error('wsserver-compat/compat is not implemented yet: use the modern API (wsserver-compat) for now.');
}

export const ipworksssl_wsserver_open = notYetImplemented;
