/** The organizer's forms: their fields, how their values are read, and what an edit changed. */
import { field, fromLocalInput, h, toLocalInput } from '../../dom';
import type { Category, TicketEvent } from '../../types';

/** Reads a number input: '' stays undefined, so the server names the missing field. */
const num = (input: HTMLInputElement): number | undefined =>
  input.value.trim() === '' ? undefined : Number(input.value);
/** Reads an optional datetime-local input: '' is null (no bound); an invalid value goes as typed, so the server names it. */
const optionalDate = (input: HTMLInputElement): string | null =>
  input.value === '' ? null : fromLocalInput(input.value) || input.value;
/** Two optional instants are the same to a datetime-local input (which shows minutes). */
const sameMinute = (a: string | null, b: string | null) =>
  a === b || (a !== null && b !== null && toLocalInput(a) === toLocalInput(b));
const lines = (text: string) =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);

export interface CategoryFields {
  element: HTMLElement;
  nombre: HTMLInputElement;
  precio: HTMLInputElement;
  cantidadTotal: HTMLInputElement;
  beneficios: HTMLTextAreaElement;
  ventaInicio: HTMLInputElement;
  ventaFin: HTMLInputElement;
  /** Renames the controls to `prefix.nombre` etc., so validation details find them. */
  setPrefix(prefix: string): void;
  value(): {
    nombre: string;
    precio?: number;
    cantidadTotal?: number;
    beneficios: string[];
    ventaInicio: string | null;
    ventaFin: string | null;
  };
}

export function categoryFields(initial?: Partial<Category>, prefix = ''): CategoryFields {
  const nombre = h('input', { type: 'text', value: initial?.nombre ?? '', required: true, maxlength: 100 });
  const precio = h('input', {
    type: 'number',
    min: 0,
    step: '0.01',
    inputmode: 'decimal',
    value: initial?.precio ?? '',
    required: true,
  });
  const cantidadTotal = h('input', {
    type: 'number',
    min: 1,
    step: 1,
    inputmode: 'numeric',
    value: initial?.cantidadTotal ?? '',
    required: true,
  });
  const beneficios = h('textarea', { rows: 2 });
  beneficios.value = (initial?.beneficios ?? []).join('\n');
  // The sales window: both bounds optional (no start: on sale at once; no end: until the event starts).
  const ventaInicio = h('input', { type: 'datetime-local' });
  const ventaFin = h('input', { type: 'datetime-local' });
  if (initial?.ventaInicio) ventaInicio.value = toLocalInput(initial.ventaInicio);
  if (initial?.ventaFin) ventaFin.value = toLocalInput(initial.ventaFin);
  const setPrefix = (p: string) => {
    const at = (n: string) => (p ? `${p}.${n}` : n);
    nombre.name = at('nombre');
    precio.name = at('precio');
    cantidadTotal.name = at('cantidadTotal');
    beneficios.name = at('beneficios');
    ventaInicio.name = at('ventaInicio');
    ventaFin.name = at('ventaFin');
  };
  setPrefix(prefix);
  const element = h(
    'div',
    { class: 'category-fields' },
    field('Category name', nombre),
    field('Price (€)', precio),
    field('Number of tickets', cantidadTotal),
    field('Benefits', beneficios, 'One per line.'),
    field('Sales open', ventaInicio, 'Optional, in your local time zone. Empty: on sale at once.'),
    field('Sales close', ventaFin, 'Optional. Empty: on sale until the event starts.'),
  );
  return {
    element,
    nombre,
    precio,
    cantidadTotal,
    beneficios,
    ventaInicio,
    ventaFin,
    setPrefix,
    value: () => ({
      nombre: nombre.value.trim(),
      precio: num(precio),
      cantidadTotal: num(cantidadTotal),
      beneficios: lines(beneficios.value),
      ventaInicio: optionalDate(ventaInicio),
      ventaFin: optionalDate(ventaFin),
    }),
  };
}

/** Only what changed in a category's form: a partial update (empty when nothing did). */
export function categoryPatch(category: Category, value: ReturnType<CategoryFields['value']>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  if (value.nombre !== category.nombre) patch.nombre = value.nombre;
  if (value.precio !== category.precio) patch.precio = value.precio;
  if (value.cantidadTotal !== category.cantidadTotal) patch.cantidadTotal = value.cantidadTotal;
  if (JSON.stringify(value.beneficios) !== JSON.stringify(category.beneficios)) patch.beneficios = value.beneficios;
  if (!sameMinute(value.ventaInicio, category.ventaInicio)) patch.ventaInicio = value.ventaInicio;
  if (!sameMinute(value.ventaFin, category.ventaFin)) patch.ventaFin = value.ventaFin;
  return patch;
}

export interface EventFields {
  element: HTMLElement;
  value(): Record<string, unknown>;
  fill(e: TicketEvent): void;
}

export function eventFields(): EventFields {
  const nombre = h('input', {
    type: 'text',
    name: 'nombre',
    required: true,
    maxlength: 200,
    'data-testid': 'event-name',
  });
  const descripcion = h('textarea', { name: 'descripcion', rows: 3, maxlength: 5000 });
  const fecha = h('input', { type: 'datetime-local', name: 'fecha', required: true });
  const ubicacion = h('input', { type: 'text', name: 'ubicacion', required: true, maxlength: 200 });
  const capacidadTotal = h('input', {
    type: 'number',
    name: 'capacidadTotal',
    min: 1,
    step: 1,
    inputmode: 'numeric',
    required: true,
  });
  const precioBase = h('input', {
    type: 'number',
    name: 'precioBase',
    min: 0,
    step: '0.01',
    inputmode: 'decimal',
    required: true,
  });
  const maxPorComprador = h('input', {
    type: 'number',
    name: 'maxPorComprador',
    min: 1,
    step: 1,
    inputmode: 'numeric',
  });
  return {
    element: h(
      'div',
      { class: 'event-fields' },
      field('Event name', nombre),
      field('Description', descripcion),
      field('Date and time', fecha, 'In your local time zone; must be in the future.'),
      field('Place', ubicacion),
      field('Total capacity', capacidadTotal, 'The categories together cannot exceed it.'),
      field('Base price (€)', precioBase),
      field(
        'Tickets per buyer',
        maxPorComprador,
        'Optional: the most one person may reserve and buy together for this event. Empty: no limit.',
      ),
    ),
    value: () => ({
      nombre: nombre.value.trim(),
      descripcion: descripcion.value.trim(),
      fecha: fromLocalInput(fecha.value) || fecha.value,
      ubicacion: ubicacion.value.trim(),
      capacidadTotal: num(capacidadTotal),
      precioBase: num(precioBase),
      // Empty is null, "no limit": on an edit that clears a limit set before.
      maxPorComprador: num(maxPorComprador) ?? null,
    }),
    fill: (e) => {
      nombre.value = e.nombre;
      descripcion.value = e.descripcion;
      fecha.value = toLocalInput(e.fecha);
      ubicacion.value = e.ubicacion;
      capacidadTotal.value = String(e.capacidadTotal);
      precioBase.value = String(e.precioBase);
      maxPorComprador.value = e.maxPorComprador === null ? '' : String(e.maxPorComprador);
    },
  };
}

/** Only what changed in the event's form: a partial update (empty when nothing did). */
export function eventPatch(current: TicketEvent, value: Record<string, unknown>): Record<string, unknown> {
  const original: Record<string, unknown> = {
    nombre: current.nombre,
    descripcion: current.descripcion,
    fecha: current.fecha,
    ubicacion: current.ubicacion,
    capacidadTotal: current.capacidadTotal,
    precioBase: current.precioBase,
    maxPorComprador: current.maxPorComprador,
  };
  const patch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'fecha' && typeof v === 'string' && Date.parse(v) === Date.parse(current.fecha)) continue;
    if (v !== original[k]) patch[k] = v;
  }
  return patch;
}

/** The create-event form: the event's fields and a list of category rows to add and remove. */
export function createEventForm(): {
  form: HTMLFormElement;
  error: HTMLElement;
  submit: HTMLButtonElement;
  value(): Record<string, unknown>;
} {
  const fields = eventFields();
  const categoryRows: CategoryFields[] = [];
  const categoryList = h('ol', { class: 'category-rows' });
  const renumber = () => {
    categoryRows.forEach((row, i) => {
      row.setPrefix(`categorias.${i}`);
      const legend = row.element.parentElement?.querySelector('legend');
      if (legend) legend.textContent = `Category ${i + 1}`;
    });
  };
  const addRow = (initial?: Partial<Category>) => {
    const row = categoryFields(initial);
    const remove = h('button', { type: 'button', class: 'btn btn-small' }, 'Remove this category');
    const item = h(
      'li',
      null,
      h('fieldset', { class: 'card inner' }, h('legend', null, 'Category'), row.element, remove),
    );
    remove.addEventListener('click', () => {
      const index = categoryRows.indexOf(row);
      if (index >= 0) categoryRows.splice(index, 1);
      item.remove();
      renumber();
      addButton.focus();
    });
    categoryRows.push(row);
    categoryList.append(item);
    renumber();
    return row;
  };
  const addButton = h('button', { type: 'button', class: 'btn', 'data-testid': 'add-category-row' }, 'Add a category');
  addButton.addEventListener('click', () => addRow().nombre.focus());
  addRow({ nombre: 'General' });

  const error = h('div', { class: 'form-error-slot' });
  const submit = h(
    'button',
    { type: 'submit', class: 'btn btn-primary', 'data-testid': 'create-event' },
    'Create event',
  );
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'create-heading', novalidate: true },
    h('h2', { id: 'create-heading' }, 'Create an event'),
    fields.element,
    h('h3', null, 'Ticket categories'),
    categoryList,
    addButton,
    error,
    h('div', { class: 'button-row' }, submit),
  );
  return { form, error, submit, value: () => ({ ...fields.value(), categorias: categoryRows.map((r) => r.value()) }) };
}

/** The edit form of an event, filled with its current values. */
export function editEventForm(current: TicketEvent) {
  const fields = eventFields();
  fields.fill(current);
  const error = h('div', { class: 'form-error-slot' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'save-event' }, 'Save changes');
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'edit-heading', novalidate: true },
    h('h2', { id: 'edit-heading' }, 'Event details'),
    fields.element,
    error,
    save,
  );
  return { form, error, save, patch: () => eventPatch(current, fields.value()) };
}

/** The form of one existing category: its fields, Save and Delete; `summary` heads it. */
export function categoryForm(category: Category, summary: HTMLElement) {
  const f = categoryFields(category);
  const error = h('div', { class: 'form-error-slot' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary btn-small' }, 'Save');
  const remove = h('button', { type: 'button', class: 'btn btn-danger btn-small' }, 'Delete');
  const form = h(
    'form',
    {
      class: 'card inner',
      novalidate: true,
      'aria-label': `Category ${category.nombre}`,
      'data-testid': 'category-form',
      'data-category-id': category.id,
    },
    h('h3', null, category.nombre, ' ', summary),
    f.element,
    error,
    h('div', { class: 'button-row' }, save, remove),
  );
  return { form, error, save, remove, value: f.value };
}

/** The form that adds a category to an existing event. */
export function addCategoryForm() {
  const add = categoryFields();
  const error = h('div', { class: 'form-error-slot' });
  const submit = h(
    'button',
    { type: 'submit', class: 'btn btn-primary', 'data-testid': 'add-category' },
    'Add category',
  );
  const form = h(
    'form',
    { class: 'card inner', novalidate: true, 'aria-labelledby': 'add-category-heading' },
    h('h3', { id: 'add-category-heading' }, 'Add a category'),
    add.element,
    error,
    submit,
  );
  return { form, error, submit, value: add.value };
}
