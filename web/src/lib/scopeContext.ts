// The page's scope time, read from the URL by the app shell.
import { createContext, useContext } from 'react';
import type { Scope } from './types';

export const ScopeContext = createContext<Scope>({ from: '', to: '' });

export const useScope = () => useContext(ScopeContext);
