import type { Express, Response } from "express";
import { z } from "zod";
import { assetTagSchema, employeeIdSchema } from "../../src/contracts/world.ts";
import { loopbackOnly, parseOr400, sendError } from "./service.ts";

/** A world as a service runs it: the parsed section and the state that goes with it (call counts, revocations). */
export interface LiveWorld<W, S> {
  world: W;
  state: S;
}

/** The world `injectFaults` chose for this request: the one its handler answers from. */
export function worldOfResponse<W, S>(res: Response): LiveWorld<W, S> {
  return res.locals.world as LiveWorld<W, S>;
}

/** Entity worlds one service holds at most: enough for an experiment's tickets, bounded for a loopback caller's mistakes. */
const MAX_ENTITY_WORLDS = 10_000;

/** Whom an entity world is about: an asset tag or an employee id. */
const entityParamsSchema = z.object({ entity: z.union([assetTagSchema, employeeIdSchema]) });

/**
 * The world a service serves, plus worlds of their own for single entities (an asset tag, an employee
 * id). A request about an entity with its own world is answered from it, every other from the
 * service's world. That is what lets an experiment's tickets run side by side, each in its own world,
 * where one global world would force them to take turns.
 */
export class Worlds<W, S extends { calls: number }> {
  private global!: LiveWorld<W, S>;
  private readonly byEntity = new Map<string, LiveWorld<W, S>>();

  constructor(
    private readonly startState: (world: W) => S,
    world: W,
  ) {
    this.reset(world);
  }

  /** The service's world; clears every entity's own world and all state. */
  reset(world: W) {
    this.global = { world, state: this.startState(world) };
    this.byEntity.clear();
  }

  /** Gives `entity` its own world with fresh state; false when the service already holds as many as it may. */
  setFor(entity: string, world: W): boolean {
    if (!this.byEntity.has(entity) && this.byEntity.size >= MAX_ENTITY_WORLDS) return false;
    this.byEntity.set(entity, { world, state: this.startState(world) });
    return true;
  }

  deleteFor(entity: unknown): boolean {
    return typeof entity === "string" && this.byEntity.delete(entity);
  }

  /** The world that answers a request about `entity` (the service's world when it has none of its own). */
  of(entity: unknown): LiveWorld<W, S> {
    return (typeof entity === "string" ? this.byEntity.get(entity) : undefined) ?? this.global;
  }

  /** Calls answered since the service's world was last set, entity worlds included. */
  calls(): number {
    let calls = this.global.state.calls;
    for (const { state } of this.byEntity.values()) calls += state.calls;
    return calls;
  }

  get globalWorld(): W {
    return this.global.world;
  }

  entityWorld(entity: unknown): W | undefined {
    return typeof entity === "string" ? this.byEntity.get(entity)?.world : undefined;
  }
}

/**
 * The admin routes every mock serves, on loopback only: the scenario runner sets the service's world
 * (which resets its state and drops entity worlds), the experiment runner sets one entity's world, and
 * tests read back how many calls the service received.
 */
export function serveWorldAdmin<T extends z.ZodType, S extends { calls: number }>(
  app: Express,
  options: { schema: T; worlds: Worlds<z.infer<T>, S> },
) {
  const { schema, worlds } = options;
  app.put("/admin/world", loopbackOnly, (req, res) => {
    const parsed = parseOr400(schema, req.body, res);
    if (!parsed) return;
    worlds.reset(parsed);
    res.status(204).end();
  });
  app.get("/admin/world", loopbackOnly, (_req, res) => {
    res.json(worlds.globalWorld);
  });
  app.put("/admin/worlds/:entity", loopbackOnly, (req, res) => {
    const params = parseOr400(entityParamsSchema, req.params, res);
    const parsed = params && parseOr400(schema, req.body, res);
    if (!params || !parsed) return;
    if (!worlds.setFor(params.entity, parsed))
      return sendError(res, 409, "too_many_worlds", {
        message: `at most ${MAX_ENTITY_WORLDS} entity worlds; PUT /admin/world clears them`,
      });
    res.status(204).end();
  });
  app.get("/admin/worlds/:entity", loopbackOnly, (req, res) => {
    const world = worlds.entityWorld(req.params.entity);
    if (world === undefined) return sendError(res, 404, "no_entity_world", { entity: req.params.entity });
    res.json(world);
  });
  app.delete("/admin/worlds/:entity", loopbackOnly, (req, res) => {
    if (!worlds.deleteFor(req.params.entity))
      return sendError(res, 404, "no_entity_world", { entity: req.params.entity });
    res.status(204).end();
  });
  app.get("/admin/calls", loopbackOnly, (_req, res) => {
    res.json({ calls: worlds.calls() });
  });
}
