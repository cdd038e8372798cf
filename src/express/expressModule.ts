import { loadOptionalPeer } from '../config/optionalPeer';
import { BackgroundJobsError } from '../errors';

type Express = typeof import('express');

const INSTALL = 'npm install express';

/** Express, or `undefined` when the application runs the middleware without it (connect, or plain `http`). */
export function expressIfInstalled(): Express | undefined {
  return loadOptionalPeer<Express>({
    name: 'express',
    neededBy: 'web-background-jobs uses express for req.backgroundJobs',
    install: INSTALL,
  });
}

/**
 * Express, for `what` (a router of this package), which cannot work without it.
 * @throws BackgroundJobsError `WBJ_CONFIG` naming `what` and the command that installs express, an optional peer
 * dependency of this package.
 */
export function requiredExpress(what: string): Express {
  const express = loadOptionalPeer<Express>({
    name: 'express',
    neededBy: `${what} is an Express router`,
    install: INSTALL,
  });
  if (express !== undefined) return express;
  throw new BackgroundJobsError(
    'WBJ_CONFIG',
    `${what} is an Express router, but express is not installed (an optional peer dependency of web-background-jobs). ` +
      `Install it in the application: ${INSTALL}`,
  );
}
