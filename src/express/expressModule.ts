import { loadOptionalPeer } from '../config/optionalPeer';
import { BackgroundJobsError } from '../errors';

type Express = typeof import('express');

const INSTALL = 'npm install express';

/** Express, or `undefined` when the application runs the middleware without it (connect, or plain `http`). */
export function expressIfInstalled(): Express | undefined {
  return loadExpress('web-background-jobs uses express for req.backgroundJobs');
}

/**
 * Express, for `what` (a router of this package), which cannot work without it.
 * @throws BackgroundJobsError `WBJ_CONFIG` naming `what` and the command that installs express, an optional peer
 * dependency of this package.
 */
export function requiredExpress(what: string): Express {
  const express = loadExpress(`${what} is an Express router`);
  if (express !== undefined) return express;
  throw new BackgroundJobsError(
    'WBJ_CONFIG',
    `${what} is an Express router, but express is not installed (an optional peer dependency of web-background-jobs). ` +
      `Install it in the application: ${INSTALL}`,
  );
}

/** Express, `undefined` when not installed; `neededBy` starts the sentence of the error for a broken install. */
function loadExpress(neededBy: string): Express | undefined {
  return loadOptionalPeer<Express>({ name: 'express', neededBy, install: INSTALL });
}
